"""`hlfc enroll`: the in-cluster Job that gives a node its identity from Fabric CA.

Depends on cryptography, httpx and lightkube only; imports nothing else of hlfc, so the
enroller image stays small (tests/test_layers.py enforces it).
"""
