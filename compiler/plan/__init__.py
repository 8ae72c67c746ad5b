"""`hlfc plan`: what syncing a blueprint change will do to a running network, classified
before it merges. Pure, like render/: two compiled networks in, a Plan value out."""
