"""`python -m ticket_sentiment_tools.moto_server -H 127.0.0.1 -p PORT`: moto's server, with costs that grow with
load (and some paid on every request) taken out, so a 10,000-event run measures the service rather than the
emulator. `moto_process()` starts it in a child process (its own interpreter and GIL): the local stack
(`ticket-sentiment local`) and the reliability runner both run on it.

Sampling moto's threads during a 600-event run with faults put 43% of request time in routing and most of the
rest in SQS bookkeeping that is linear in a queue's depth for every message it touches:
1. routing: every request lists moto's package directory (a listdir and ~200 isdir calls) under a global lock
   to map a host name to a backend, and lists its response class's methods (inspect.getmembers) to find the
   action's. Neither list changes while the server runs: each computed once.
2. receive: each message received re-reads the queue's attributes to learn its retention period, and that
   computes every attribute, including counts over all the queue's messages: O(depth) per message, quadratic
   in a backlog. The retention period is read from the queue directly instead.
3. the visible-messages list: two clock reads per message per receive; one per list now.
4. DynamoDB: a query on the table's own key sorts every item of the table (`Table.all_items`) and then keeps
   those of the one partition asked for: O(table log table) per query, and the score function queries a
   ticket's messages for every event. The query now reads only that partition (the same sort, the same
   filtering after it). Index queries, which do need every item, are unchanged.
5. DynamoDB TransactWriteItems: moto deep-copies every table a transaction touches, to put the copy back if
   the transaction is cancelled: O(table) per call (2.2 s at 20,000 items; the score function runs one per
   scored message), and putting back a copy taken before other requests' writes would undo those writes. Here
   only the items the transaction names are copied and, on a cancellation, put back; the checks, the writes and
   the errors are moto's own (`transact_write_items` runs unchanged, its table copy is the table itself).
6. send: each message sent reads the queue's attributes for one of them (ContentBasedDeduplication), and that
   computes every attribute, with its counts over all the queue's messages: O(depth) per message again, the same
   quadratic cost while posts outrun the pollers. While a message is sent, its queue answers that one attribute.
7. DynamoDB UpdateItem parses its UpdateExpression twice per call (once to check the names and values it uses,
   once to apply it), and its action-count check (one SET, REMOVE, ADD, DELETE clause each) searches the subtree of
   every node of the `SET a = :a, b = :b, ...` list, which nests one node per action: quadratic in the actions, and
   the score function's ticket update sets ~25 attributes. Parses are kept per expression string (every user of a
   parsed tree reads it; the validator works on its own deep copy), and the count is checked on the expression
   and its clauses, not on the action lists, which by the grammar hold no clauses.
8. Serialising a reply, moto looks each member of each output structure up under every name its alias providers
   offer, building a provider object per alias per member per value: ten members per DynamoDB attribute value,
   and serialising took a quarter of the server's time under the local stack's load. For a plain dict
   (DynamoDB's results, converted before they are serialised) those names depend only on the key and the shape:
   worked out once per key and shape, then looked up in the same order.
9. SQS's queue state is shared by the server's threads, and moto guards only its append (send) with the queue's
   lock: a delete builds a new message list and assigns it, so a message sent while a delete copies the list is
   dropped from the queue after SendMessage answered OK (41 of 3,000 messages sent to a queue 2,000 deep while
   4 pollers received and deleted; the reliability run lost 1 to 4 events per run). Receives, deletes,
   visibility changes and purges take the same lock, so each sees and leaves a whole list (and two receives
   cannot hand out one message together).
Plus werkzeug's per-request access log, which nobody reads here, and werkzeug itself: its development server
answers every request with `Connection: close` ("Always close the connection", werkzeug/serving.py), so each boto3
call opened a new TCP connection and the server a new thread to serve it. The app runs on cheroot's WSGI server
instead, which keeps HTTP/1.1 connections open and serves them from a pool of threads (`serve`).

Behaviour is moto's own: the same checks with the same values, only not recomputed
(tests/reliability/test_moto_server.py). The AWS calls still go over HTTP to this server.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

from moto import backends
from moto.core import responses as core_responses
from moto.core import serialize
from moto.core.utils import method_names_from_class, unix_time, unix_time_millis
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import ast_nodes, expressions, validators
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sqs import models as sqs_models


def _patch() -> None:
    original = backends.list_of_moto_modules
    backends.list_of_moto_modules = cache(lambda: tuple(original()))  # werkzeug_app calls it through the module
    setattr(core_responses, "method_names_from_class", cache(method_names_from_class))  # noqa: B010 - call_action looks it up in its module

    def retention_ok(self: Any, queue_name: str, message: Any) -> bool:
        queue = self.get_queue(queue_name)
        return bool(int(queue.message_retention_period) + message.sent_timestamp / 1000 > unix_time())

    def visible_messages(self: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = retention_ok  # type: ignore[method-assign]
    sqs_models.Queue.messages = property(visible_messages)  # type: ignore[assignment,method-assign]
    _patch_send()
    _patch_queue_locks()
    _patch_partition_queries()
    patch_transactions()
    _patch_update_expressions()
    _patch_response_keys()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


_query_partition = threading.local()  # moto's server handles requests on threads
_sending = threading.local()


def _is_sending(queue: Any) -> bool:
    return getattr(_sending, "queue", None) is queue


def _patch_send() -> None:
    send, attributes = sqs_models.SQSBackend.send_message, sqs_models.Queue.attributes

    def send_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _sending.queue = self.get_queue(queue_name)
        try:
            return send(self, queue_name, *args, **kwargs)
        finally:
            _sending.queue = None

    def queue_attributes(queue: Any) -> dict[str, Any]:
        if not _is_sending(queue):
            return attributes.fget(queue)  # type: ignore[attr-defined,no-any-return]
        # The one attribute sending reads (send_message, add_message), as `attributes` computes it: FIFO only.
        if not queue.fifo_queue:
            return {}
        value = queue.content_based_deduplication
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}

    sqs_models.SQSBackend.send_message = send_message  # type: ignore[method-assign]
    sqs_models.Queue.attributes = property(queue_attributes)  # type: ignore[assignment,method-assign]


def _patch_queue_locks() -> None:
    delete = sqs_models.Queue.delete_message

    def delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:  # the Condition add_message notifies on; its lock is re-entrant
            delete(self, receipt_handle)

    sqs_models.Queue.delete_message = delete_message  # type: ignore[method-assign]
    for name in ("receive_message", "change_message_visibility", "purge_queue"):
        setattr(sqs_models.SQSBackend, name, _locked_by_queue(getattr(sqs_models.SQSBackend, name)))


def _locked_by_queue(method: Any) -> Any:
    """`method(backend, queue_name, ...)` run holding that queue's lock (a long poll's wait releases it)."""

    def locked(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with self.get_queue(queue_name)._messages_lock:
            return method(self, queue_name, *args, **kwargs)

    return locked


def _patch_partition_queries() -> None:
    all_items, query = Table.all_items, Table.query

    def partition_items(self: Any) -> list[Any]:
        hint = getattr(_query_partition, "hint", None)
        if hint is None or hint[0] is not self:
            return all_items(self)
        partition = self.items.get(hint[1])  # .get: self.items is a defaultdict, a lookup must not add a key
        if partition is None:
            return []
        items = list(partition.values()) if self.range_key_attr else [partition]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Positional after hash_key, as moto's backend calls it: range_comparison, range_objs, limit,
        # exclusive_start_key, scan_index_forward, projection_expressions, index_name, ...
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        _query_partition.hint = (self, hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query_partition.hint = None

    Table.all_items = partition_items  # type: ignore[method-assign]
    Table.query = partition_query  # type: ignore[method-assign]


def _patch_update_expressions() -> None:
    parser = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 - moto's parsing module is untyped
    parser.make = staticmethod(lru_cache(maxsize=256)(parser.make))  # make is a classmethod: bound, one argument
    verify = validators.ActionCountValidator.verify_action_counts
    action_lists = tuple(
        getattr(ast_nodes, f"UpdateExpression{kind}Actions") for kind in ("Set", "Remove", "Add", "Delete")
    )

    def verify_action_counts(self: Any, node: Any) -> Any:
        return node if isinstance(node, action_lists) else verify(self, node)

    validators.ActionCountValidator.verify_action_counts = verify_action_counts  # type: ignore[method-assign]


def _patch_response_keys() -> None:
    """The names a member of a plain-dict result may be under, worked out once per key and shape (8. above)."""
    possible_keys = serialize.XFormedAttributePicker.get_possible_keys
    known: dict[tuple[str, Any, Any], tuple[str, ...]] = {}

    def get_possible_keys(self: Any, context: Any) -> Any:
        if type(context.obj) is not dict or self.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS:
            return possible_keys(self, context)
        # What the alias providers read of a dict: its class name (dict), the key, the shape and the shape's parent.
        shape = context.shape
        key = (context.key, shape, getattr(shape, "parent", None))  # shapes: moto's cached service models' own
        keys = known.get(key)
        if keys is None:
            keys = known[key] = tuple(possible_keys(self, context))
        return keys

    serialize.XFormedAttributePicker.get_possible_keys = get_possible_keys  # type: ignore[method-assign]


class _CopyKeepingTables:
    """moto's DynamoDB module sees this as `copy`: a table's deepcopy is the table itself (the snapshot a
    transaction takes to undo a cancellation; `patch_transactions` takes one per item instead)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_transactions = threading.Lock()


def patch_transactions() -> None:
    """TransactWriteItems with an item-level undo (5. above). Idempotent."""
    backend = dynamodb_models.DynamoDBBackend
    original = backend.transact_write_items
    if getattr(original, "item_level_undo", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _transactions:  # one transaction at a time, as moto's whole-table undo assumed
            before = _items_before(self, transact_items)
            try:
                original(self, transact_items)
            except Exception:
                for table_name, key, attrs in reversed(before):
                    table = self.get_table(table_name)
                    if attrs is None:
                        table.delete_item(*self.get_keys_value(table, key))
                    else:
                        table.put_item(attrs, overwrite=True)
                raise

    transact_write_items.item_level_undo = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    setattr(dynamodb_models, "copy", _CopyKeepingTables())  # noqa: B010 - the module imports `copy` itself


def _items_before(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(table, key, the item's attributes or None) for each item the transaction names, before it runs. An op
    moto will reject (no such table, no key) is skipped here: moto reports it as it always does."""
    before: dict[tuple[str, str], tuple[str, Any, Any]] = {}
    for entry in transact_items:
        for op in entry.values():
            try:
                table_name = op["TableName"]
                table = backend.get_table(table_name)
                if "Key" in op:
                    key = op["Key"]
                else:
                    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                    key = {name: op["Item"][name] for name in names}
                item = backend.get_item(table_name, key)
            except Exception:  # moto's own checks answer for it
                continue
            attrs = None if item is None else copy.deepcopy(item.to_json()["Attributes"])
            before.setdefault((table_name, json.dumps(key, sort_keys=True)), (table_name, key, attrs))
    return list(before.values())


@contextmanager
def moto_process(start_timeout_s: float = 30.0) -> Iterator[str]:
    """This server in a child process on 127.0.0.1 and a free port; yields its endpoint URL, stops it on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "ticket_sentiment_tools.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if child.poll() is not None:
                    raise RuntimeError("moto's server exited at start") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not start within {start_timeout_s:.0f} s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


SERVER_THREADS = 64  # requests served at once: the runner's 32 workers long-poll and each holds one meanwhile
IDLE_TIMEOUT_S = 60  # a kept-alive connection idle this long is closed (the client opens a new one)


def serve(host: str, port: int) -> None:
    """moto's app, patched, on cheroot's HTTP/1.1 server until this process is stopped."""
    from cheroot import wsgi  # only moto's child process serves

    _patch()
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto's own `main` sets it: the URLs moto hands out name it
    app = DomainDispatcherApplication(create_backend_app)
    # request_queue_size is the listen backlog (cheroot's default, 5, drops connections a burst of clients opens)
    server = wsgi.Server((host, port), app, numthreads=SERVER_THREADS, request_queue_size=128, timeout=IDLE_TIMEOUT_S)
    # cheroot keeps at most 10 idle connections open by default and closes the rest after their response: each
    # poller's clients hold their own, so past 10 most calls opened a new connection again
    server.keep_alive_conn_limit = None  # type: ignore[assignment]  # cheroot documents None as no limit
    server.safe_start()  # blocks; SIGTERM (moto_process's stop) ends the process


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m ticket_sentiment_tools.moto_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port)


if __name__ == "__main__":
    main(sys.argv[1:])
