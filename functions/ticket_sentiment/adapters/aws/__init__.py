"""AWS adapters: DynamoDB, SQS, SNS, Secrets Manager, SSM, Comprehend, and the ONNX scorer the score function runs."""
