// Command netns-endpoints serves emulated Microsoft endpoints on real ports
// for scripts/e2e-netns.sh and scripts/perf-net.sh: TLS with a certificate
// for whatever server name the client asks (chain shaped like Microsoft's),
// plain TCP/HTTP otherwise. It writes the roots to trust to -ca-out, prints
// "ready" once listening, and runs until killed. Test tooling, not product.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ptacheck/ptacheck/fixtures"
)

func main() {
	listen := flag.String("listen", ":443,:80,:8080", "comma-separated addresses to listen on")
	caOut := flag.String("ca-out", "", "write the trusted roots (PEM) to this file")
	behaviour := flag.String("behavior", fixtures.Answer, "how to answer: answer, intercept, untrusted, wrong-name, expired, reset, tls-silent, tls-close")
	flag.Parse()
	ca, err := fixtures.NewCA("netns-endpoints")
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns-endpoints:", err)
		os.Exit(1)
	}
	if *caOut != "" {
		if err := os.WriteFile(*caOut, ca.TrustedPEM(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "netns-endpoints:", err)
			os.Exit(1)
		}
	}
	for _, addr := range strings.Split(*listen, ",") {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "netns-endpoints:", err)
			os.Exit(1)
		}
		go ca.Serve(l, *behaviour)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}
