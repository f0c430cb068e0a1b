package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/netip"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Metadata keys an in-process proxy uses to name the client it calls for.
const (
	// ForwardedPeerMetadataPrefix starts both keys; a proxy must not pass on its clients'
	// metadata under it.
	ForwardedPeerMetadataPrefix = "sc-forwarded-"
	forwardedAddrKey            = ForwardedPeerMetadataPrefix + "peer"
	forwardedProofKey           = ForwardedPeerMetadataPrefix + "proof"
)

// PeerForwarding lets a proxy in the same process (the JSON over HTTP gateway) call the gRPC
// server for its own clients without them all becoming one loopback client: the call carries
// the client's address and a secret only this process knows, and the server then treats the
// call as coming from that address. Rate limits by address, the failed-authentication limit
// and the request log work per HTTP client as they do per gRPC client, so one script with a
// wrong key does not lock every HTTP client (and the console) out.
type PeerForwarding struct {
	proof string
}

// NewPeerForwarding makes a forwarding with a fresh random secret.
func NewPeerForwarding() *PeerForwarding {
	var b [32]byte
	// crypto/rand.Read never fails (it panics instead when the system source is broken).
	_, _ = rand.Read(b[:])
	return &PeerForwarding{proof: hex.EncodeToString(b[:])}
}

// Metadata is what the proxy adds to a call it makes for the client at remoteAddr (an
// http.Request's RemoteAddr, "ip:port"). An address that does not parse adds nothing, and the
// call counts as the proxy's own.
func (f *PeerForwarding) Metadata(remoteAddr string) metadata.MD {
	if _, err := netip.ParseAddrPort(remoteAddr); err != nil {
		return nil
	}
	return metadata.Pairs(forwardedAddrKey, remoteAddr, forwardedProofKey, f.proof)
}

// WithPeerForwarding makes the server honour f's forwarded addresses on calls from loopback.
func WithPeerForwarding(f *PeerForwarding) Option {
	return func(o *options) { o.forwarding = f }
}

// forwardedPeer returns ctx with the forwarded client as its peer when the call proves it
// comes from f's proxy: exactly one address and one proof, the proof right, and the
// connection from loopback (where the proxy dials). Anything else leaves ctx as it is.
func (f *PeerForwarding) forwardedPeer(ctx context.Context) context.Context {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ctx
	}
	tcp, ok := p.Addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return ctx
	}
	md, _ := metadata.FromIncomingContext(ctx)
	addrs, proofs := md.Get(forwardedAddrKey), md.Get(forwardedProofKey)
	if len(addrs) != 1 || len(proofs) != 1 || subtle.ConstantTimeCompare([]byte(proofs[0]), []byte(f.proof)) != 1 {
		return ctx
	}
	client, err := netip.ParseAddrPort(addrs[0])
	if err != nil {
		return ctx
	}
	forwarded := *p
	forwarded.Addr = net.TCPAddrFromAddrPort(client)
	return peer.NewContext(ctx, &forwarded)
}

func (f *PeerForwarding) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(f.forwardedPeer(ctx), req)
}

func (f *PeerForwarding) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: f.forwardedPeer(ss.Context())})
}

// contextStream is a stream with another context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }
