//go:build tools

// Package etcdbuild pins the etcd server the twin's control planes run.
package etcdbuild

import _ "go.etcd.io/etcd/server/v3"
