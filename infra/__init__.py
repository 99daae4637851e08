"""The CDK app that deploys ticket-sentiment: one construct per concern under `infra.constructs`."""
