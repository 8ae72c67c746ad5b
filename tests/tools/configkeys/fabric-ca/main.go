// Command cakeys tells which keys fabric-ca-server reads from its configuration file. It is
// compiled inside the fabric-ca module of the version rendered: viper unmarshals the file
// twice, into ServerConfig and into its CAcfg (see lib.UnmarshalConfig), so both are roots.
package main

import (
	"fmt"
	"os"
	"reflect"

	"github.com/hyperledger/fabric-ca/lib"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "ca-keys" {
		fmt.Fprintln(os.Stderr, "usage: cakeys ca-keys")
		os.Exit(2)
	}
	printKeys(root{"", reflect.TypeOf(lib.ServerConfig{})}, root{"", reflect.TypeOf(lib.CAConfig{})})
}
