"""Adapters for the ports (ports.py): `aws/` (boto3, tested against moto's server; the ONNX scorer) and `http/`
(Slack and the helpdesks over one transport)."""
