// asset-transfer: the example chaincode the example blueprints run, as a chaincode server
// (chaincode as a service). Built against the fabric-chaincode-go shim vendored in the
// Fabric source (go build -mod=vendor), so it needs no module download.
//
// Functions (arguments are strings):
//
//	Put key value          public state
//	Get key                -> value
//	PutPrivate coll key    value from the transient field "value" (never in the transaction)
//	GetPrivate coll key    -> value
//	Version                -> the version this server was built as
//	WhoAmI                 -> {"mspID": ..., "attrs": {...}} of the caller (ABAC attributes)
//	PutIfRole role key value   Put, only for callers whose certificate has attribute role=<role>
//
// The server reads what hlfc renders into its environment: CHAINCODE_ID (the package ID),
// CHAINCODE_SERVER_ADDRESS, CHAINCODE_TLS_KEY / CHAINCODE_TLS_CERT (files), and
// CHAINCODE_TLS_DISABLED.
package main

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log"
	"os"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-chaincode-go/shim"
	"github.com/hyperledger/fabric-protos-go/msp"
	pb "github.com/hyperledger/fabric-protos-go/peer"
)

// set at build time: -ldflags "-X main.version=1.0.0"
var version = "dev"

// Fabric CA's certificate extension carrying the identity's attributes.
var attrsOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

type assets struct{}

func (assets) Init(stub shim.ChaincodeStubInterface) pb.Response { return shim.Success(nil) }

func (assets) Invoke(stub shim.ChaincodeStubInterface) pb.Response {
	fn, args := stub.GetFunctionAndParameters()
	need := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d arguments, got %d", fn, n, len(args))
		}
		return nil
	}
	switch fn {
	case "Put":
		if err := need(2); err != nil {
			return shim.Error(err.Error())
		}
		return result(nil, stub.PutState(args[0], []byte(args[1])))
	case "Get":
		if err := need(1); err != nil {
			return shim.Error(err.Error())
		}
		return found(stub.GetState(args[0]))
	case "PutPrivate":
		if err := need(2); err != nil {
			return shim.Error(err.Error())
		}
		transient, err := stub.GetTransient()
		if err != nil {
			return shim.Error(err.Error())
		}
		value, ok := transient["value"]
		if !ok {
			return shim.Error("PutPrivate takes the value in the transient field \"value\"")
		}
		return result(nil, stub.PutPrivateData(args[0], args[1], value))
	case "GetPrivate":
		if err := need(2); err != nil {
			return shim.Error(err.Error())
		}
		return found(stub.GetPrivateData(args[0], args[1]))
	case "Version":
		return shim.Success([]byte(version))
	case "WhoAmI":
		id, err := caller(stub)
		if err != nil {
			return shim.Error(err.Error())
		}
		out, err := json.Marshal(id)
		return result(out, err)
	case "PutIfRole":
		if err := need(3); err != nil {
			return shim.Error(err.Error())
		}
		id, err := caller(stub)
		if err != nil {
			return shim.Error(err.Error())
		}
		if id.Attrs["role"] != args[0] {
			return shim.Error(fmt.Sprintf("access denied: role %q required, caller has %q", args[0], id.Attrs["role"]))
		}
		return result(nil, stub.PutState(args[1], []byte(args[2])))
	}
	return shim.Error(fmt.Sprintf("unknown function %q", fn))
}

type identity struct {
	MSPID string            `json:"mspID"`
	Attrs map[string]string `json:"attrs"`
}

func caller(stub shim.ChaincodeStubInterface) (identity, error) {
	raw, err := stub.GetCreator()
	if err != nil {
		return identity{}, err
	}
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(raw, &sid); err != nil {
		return identity{}, err
	}
	block, _ := pem.Decode(sid.IdBytes)
	if block == nil {
		return identity{}, fmt.Errorf("the creator's certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return identity{}, err
	}
	id := identity{MSPID: sid.Mspid, Attrs: map[string]string{}}
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(attrsOID) {
			var attrs struct {
				Attrs map[string]string `json:"attrs"`
			}
			if err := json.Unmarshal(ext.Value, &attrs); err != nil {
				return identity{}, err
			}
			id.Attrs = attrs.Attrs
		}
	}
	return id, nil
}

func result(payload []byte, err error) pb.Response {
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(payload)
}

func found(value []byte, err error) pb.Response {
	if err != nil {
		return shim.Error(err.Error())
	}
	if value == nil {
		return shim.Error("not found")
	}
	return shim.Success(value)
}

func readFile(env string) []byte {
	path := os.Getenv(env)
	if path == "" {
		log.Fatalf("%s is not set", env)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("%s: %v", env, err)
	}
	return data
}

func main() {
	server := &shim.ChaincodeServer{
		CCID:    os.Getenv("CHAINCODE_ID"),
		Address: os.Getenv("CHAINCODE_SERVER_ADDRESS"),
		CC:      assets{},
	}
	if server.CCID == "" || server.Address == "" {
		log.Fatal("CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	}
	if os.Getenv("CHAINCODE_TLS_DISABLED") == "true" {
		server.TLSProps = shim.TLSProperties{Disabled: true}
	} else {
		server.TLSProps = shim.TLSProperties{
			Key:  readFile("CHAINCODE_TLS_KEY"),
			Cert: readFile("CHAINCODE_TLS_CERT"),
		}
	}
	log.Printf("asset-transfer %s serving %s on %s", version, server.CCID, server.Address)
	if err := server.Start(); err != nil {
		log.Fatalf("chaincode server: %v", err)
	}
}
