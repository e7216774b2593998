"""Functions that CloudFormation calls while it deploys the stack (custom resources)."""
