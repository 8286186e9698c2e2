// Command netns-endpoints serves emulated Microsoft endpoints on real ports
// for scripts/e2e-netns.sh and scripts/perf-net.sh: TLS with a certificate
// for whatever server name the client asks (chain shaped like Microsoft's),
// plain TCP/HTTP otherwise. It writes the roots to trust to -ca-out, prints
// "ready" once listening, and runs until killed. With -proxy it also serves
// an HTTP proxy (CONNECT, and absolute-URI requests for port 80) that
// resolves names through the namespace's own resolver, or answers 502 to
// everything (-proxy-mode bad-gateway). Test tooling, not product.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ptacheck/ptacheck/fixtures"
)

func main() {
	listen := flag.String("listen", ":443,:80,:8080", "comma-separated addresses to listen on")
	caOut := flag.String("ca-out", "", "write the trusted roots (PEM) to this file")
	behaviour := flag.String("behavior", fixtures.Answer, "how to answer: answer, intercept, untrusted, wrong-name, expired, reset, tls-silent, tls-close")
	proxy := flag.String("proxy", "", "also serve an HTTP proxy on this address")
	proxyMode := flag.String("proxy-mode", "tunnel", "tunnel, or bad-gateway (every request gets 502)")
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
		if addr == "" {
			continue
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "netns-endpoints:", err)
			os.Exit(1)
		}
		go ca.Serve(l, *behaviour)
	}
	if *proxy != "" {
		l, err := net.Listen("tcp", *proxy)
		if err != nil {
			fmt.Fprintln(os.Stderr, "netns-endpoints:", err)
			os.Exit(1)
		}
		go serveProxy(l, *proxyMode)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}

// serveProxy runs a minimal HTTP proxy, as an outgoing proxy on the
// network would: CONNECT tunnels and absolute-URI requests to whatever the
// namespace's resolver gives, or 502 to every request in bad-gateway mode.
func serveProxy(l net.Listener, mode string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			reply := func(status string) {
				io.WriteString(c, "HTTP/1.1 "+status+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			if mode == "bad-gateway" {
				reply("502 Bad Gateway")
				return
			}
			target := req.Host
			if req.Method != http.MethodConnect {
				target = req.URL.Host
				if req.URL.Port() == "" {
					target += ":80"
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			up, err := (&net.Dialer{}).DialContext(ctx, "tcp", target)
			if err != nil {
				reply("502 Bad Gateway")
				return
			}
			defer up.Close()
			if req.Method != http.MethodConnect {
				req.RequestURI = ""
				req.Write(up)
				io.Copy(c, up)
				return
			}
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, br); done <- struct{}{} }()
			go func() { io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}
