// Command fabrickeys tells which configuration keys a Fabric build really reads. It is
// compiled inside the Fabric source tree (against its vendor/), so the answer comes from the
// config structs of exactly that version, not from a copy of them.
//
//	fabrickeys orderer-keys   every key path of orderer.yaml: TopLevel, and the etcdraft
//	                          section the orderer decodes from Consensus without strictness
//	fabrickeys orderer-load D parse D/orderer.yaml with the orderer's own loader, which
//	                          refuses unknown keys: the check the orderer makes at start
package main

import (
	"fmt"
	"os"
	"reflect"

	"github.com/hyperledger/fabric/orderer/common/localconfig"
	"github.com/hyperledger/fabric/orderer/consensus/etcdraft"
)

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "orderer-keys":
		printKeys(
			root{"", reflect.TypeOf(localconfig.TopLevel{})},
			root{"Consensus", reflect.TypeOf(etcdraft.Config{})},
		)
	case len(os.Args) == 3 && os.Args[1] == "orderer-load":
		os.Setenv("FABRIC_CFG_PATH", os.Args[2])
		if _, err := localconfig.Load(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ok")
	default:
		fmt.Fprintln(os.Stderr, "usage: fabrickeys orderer-keys | orderer-load DIR")
		os.Exit(2)
	}
}
