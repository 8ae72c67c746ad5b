"""hlfc: a GitOps compiler for Hyperledger Fabric networks on Kubernetes."""

__version__ = "0.1.0"
