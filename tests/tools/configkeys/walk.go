package main

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(time.Duration(0))

// walk lists the key path of every field of t the way viper's mapstructure decoding matches
// them: by field name (case-insensitively), or by a `mapstructure` tag where one is set,
// flattening ",squash". A map or an interface is open: "PATH.**" stands for any key under it;
// a map of structs adds "PATH.*.FIELD", a list of structs "PATH.[].FIELD".
func walk(prefix string, t reflect.Type, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return
	case t.Kind() == reflect.Map:
		if t.Elem().Kind() == reflect.Struct || (t.Elem().Kind() == reflect.Pointer && t.Elem().Elem().Kind() == reflect.Struct) {
			out[prefix+".*"] = true
			walk(prefix+".*", t.Elem(), out)
		} else {
			out[prefix+".**"] = true
		}
		return
	case t.Kind() == reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct || (e.Kind() == reflect.Pointer && e.Elem().Kind() == reflect.Struct) {
			walk(prefix+".[]", e, out)
		}
		return
	case t.Kind() == reflect.Interface:
		out[prefix+".**"] = true
		return
	case t.Kind() != reflect.Struct:
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag := f.Tag.Get("mapstructure"); tag != "" {
			parts := strings.Split(tag, ",")
			if len(parts) > 1 && parts[1] == "squash" {
				walk(prefix, f.Type, out)
				continue
			}
			if parts[0] == "-" {
				continue
			}
			if parts[0] != "" {
				name = parts[0]
			}
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		out[path] = true
		walk(path, f.Type, out)
	}
}

// root is a struct that a section of the file (prefix "" for the whole file) decodes into.
type root struct {
	prefix string
	t      reflect.Type
}

// printKeys prints the key paths of every root, one a line, sorted.
func printKeys(roots ...root) {
	keys := map[string]bool{}
	for _, r := range roots {
		walk(r.prefix, r.t, keys)
	}
	// A root under a prefix gives the shape of a section its parent declares open (the
	// orderer's Consensus is `any`, decoded later into the consenter's own struct).
	for _, r := range roots {
		if r.prefix != "" {
			delete(keys, r.prefix+".**")
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	fmt.Println(strings.Join(sorted, "\n"))
}
