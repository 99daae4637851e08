"""AWS adapters for the pipeline's ports (boto3; tested against moto's server)."""
