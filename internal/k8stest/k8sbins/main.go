// Command k8sbins builds the test API server's binaries into a directory
// (internal/k8stest), or finds them there already built.
//
//	go run ./internal/k8stest/k8sbins DIR
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/vmafx/vmafx-trust/internal/k8stest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: k8sbins DIR")
		os.Exit(2)
	}
	start := time.Now()
	b, err := k8stest.Build(context.Background(), os.Args[1], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sbins:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\n%s\n(%s)\n", b.Etcd, b.APIServer, time.Since(start).Round(time.Second))
}
