// Package rpcpeer puts a logplug plugin behind github.com/hashicorp/go-plugin,
// the usual alternative to in-process plugins: the logger runs in a child
// process and every call is a remote procedure call to it. It exists so that
// the benchmarks can call the same logger both ways; the child program is
// ./cmd/peer.
//
// Both of go-plugin's protocols are served: net/rpc (its original one) and
// gRPC (the one its documentation recommends). Messages travel as
// go-plugin's examples send them: net/rpc with gob-encoded arguments, gRPC
// with protocol buffers (google.protobuf.Struct, so that no generated code is
// needed).
//
// This package is in a module of its own that is outside the go.work
// workspace: its dependencies (gRPC, golang.org/x/sys at another version, and
// more) must never reach the build list that the host and the plugins are
// built with.
package rpcpeer

import (
	"context"
	"errors"
	"net/rpc"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/logplug/logplug/api"
)

// Handshake is the go-plugin handshake of the child program: a plugin
// program started by anything else exits with a message.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "LOGPLUG_RPCPEER",
	MagicCookieValue: "logger",
}

// PluginName is the name the child serves its logger under, for Dispense.
const PluginName = "logger"

// Environment variables the child program reads.
const (
	// PluginEnv names the logplug plugin file the child loads.
	PluginEnv = "LOGPLUG_RPCPEER_PLUGIN"
	// ProtocolEnv is "netrpc" or "grpc": the go-plugin protocol the child
	// serves.
	ProtocolEnv = "LOGPLUG_RPCPEER_PROTOCOL"
)

// Plugins returns the plugin set for protocol (plugin.ProtocolNetRPC or
// plugin.ProtocolGRPC), serving impl; impl is nil on the client side.
func Plugins(protocol plugin.Protocol, impl api.Logger) plugin.PluginSet {
	if protocol == plugin.ProtocolGRPC {
		return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}}
	}
	return plugin.PluginSet{PluginName: &RPCPlugin{Impl: impl}}
}

// A Client is the logger that Dispense returns on the calling side. Its
// Log, Info and Warn methods make one remote call each and return when the
// child's logger has returned.
type Client interface {
	api.Logger
	// Err returns the first error of a remote call, if any: the logger's
	// methods have no error result, so they keep it.
	Err() error
}

var (
	_ Client = (*rpcClient)(nil)
	_ Client = (*grpcClient)(nil)
)

// firstErr keeps the first error reported to it.
type firstErr struct {
	mu  sync.Mutex
	err error
}

func (f *firstErr) set(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

// Err returns the first error kept.
func (f *firstErr) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Args are the arguments of one net/rpc call.
type Args struct {
	Level  api.Level
	Msg    string
	Labels map[string]string
}

// RPCPlugin serves a logger over go-plugin's net/rpc protocol.
type RPCPlugin struct {
	// Impl is the logger served; nil on the client side.
	Impl api.Logger
}

// Server returns the net/rpc receiver that calls Impl.
func (p *RPCPlugin) Server(*plugin.MuxBroker) (any, error) {
	if p.Impl == nil {
		return nil, errors.New("rpcpeer: no logger to serve")
	}
	return &RPCServer{impl: p.Impl}, nil
}

// Client returns a [Client] that calls the child over c.
func (p *RPCPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcClient{c: c}, nil
}

// RPCServer is the net/rpc receiver in the child.
type RPCServer struct{ impl api.Logger }

// Send passes one message to the logger.
func (s *RPCServer) Send(args Args, _ *bool) error {
	api.Send(s.impl, args.Level, args.Msg, args.Labels)
	return nil
}

type rpcClient struct {
	c *rpc.Client
	firstErr
}

func (c *rpcClient) send(level api.Level, msg string, labels map[string]string) {
	var ok bool
	c.set(c.c.Call("Plugin.Send", Args{Level: level, Msg: msg, Labels: labels}, &ok))
}

func (c *rpcClient) Log(msg string, labels map[string]string)  { c.send(api.LevelLog, msg, labels) }
func (c *rpcClient) Info(msg string, labels map[string]string) { c.send(api.LevelInfo, msg, labels) }
func (c *rpcClient) Warn(msg string, labels map[string]string) { c.send(api.LevelWarn, msg, labels) }

// GRPCPlugin serves a logger over go-plugin's gRPC protocol.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the logger served; nil on the client side.
	Impl api.Logger
}

// GRPCServer registers the logger service with s.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("rpcpeer: no logger to serve")
	}
	s.RegisterService(&loggerService, p.Impl)
	return nil
}

// GRPCClient returns a [Client] that calls the child over c.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{ctx: ctx, c: c}, nil
}

// Field names of the gRPC request, a google.protobuf.Struct.
const (
	levelField  = "level"
	msgField    = "msg"
	labelsField = "labels"
)

// sendMethod is the full name of the service's one method.
const sendMethod = "/logplug.rpcpeer.Logger/Send"

// loggerService describes the gRPC service, as protoc-gen-go-grpc would for
//
//	service Logger { rpc Send(google.protobuf.Struct) returns (google.protobuf.Empty); }
var loggerService = grpc.ServiceDesc{
	ServiceName: "logplug.rpcpeer.Logger",
	HandlerType: (*api.Logger)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Send",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			req := new(structpb.Struct)
			if err := dec(req); err != nil {
				return nil, err
			}
			f := req.GetFields()
			level, err := api.ParseLevel(f[levelField].GetStringValue())
			if err != nil {
				return nil, err
			}
			labelFields := f[labelsField].GetStructValue().GetFields()
			labels := make(map[string]string, len(labelFields))
			for k, v := range labelFields {
				labels[k] = v.GetStringValue()
			}
			api.Send(srv.(api.Logger), level, f[msgField].GetStringValue(), labels)
			return &emptypb.Empty{}, nil
		},
	}},
}

type grpcClient struct {
	ctx context.Context
	c   *grpc.ClientConn
	firstErr
}

func (c *grpcClient) send(level api.Level, msg string, labels map[string]string) {
	fields := make(map[string]*structpb.Value, len(labels))
	for k, v := range labels {
		fields[k] = structpb.NewStringValue(v)
	}
	req := &structpb.Struct{Fields: map[string]*structpb.Value{
		levelField:  structpb.NewStringValue(level.String()),
		msgField:    structpb.NewStringValue(msg),
		labelsField: structpb.NewStructValue(&structpb.Struct{Fields: fields}),
	}}
	c.set(c.c.Invoke(c.ctx, sendMethod, req, new(emptypb.Empty)))
}

func (c *grpcClient) Log(msg string, labels map[string]string)  { c.send(api.LevelLog, msg, labels) }
func (c *grpcClient) Info(msg string, labels map[string]string) { c.send(api.LevelInfo, msg, labels) }
func (c *grpcClient) Warn(msg string, labels map[string]string) { c.send(api.LevelWarn, msg, labels) }
