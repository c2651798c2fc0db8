// Package rawcodec is the "proto" gRPC codec with one addition: a *Frame is
// sent and received as the bytes of an already encoded message.
//
// The reference server encodes each event once and hands the same bytes to
// every subscriber (as settled does with one grpc_slice per event); the load
// generator receives the bytes and reads only the fields it needs.
package rawcodec

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	// Registers the "proto" codec that Codec delegates to.
	_ "google.golang.org/grpc/encoding/proto"
)

// Frame is one encoded protobuf message.
type Frame struct {
	B []byte
}

// Codec passes a *Frame through as is and delegates anything else to the
// registered "proto" codec.
type Codec struct {
	base encoding.CodecV2
}

// New returns the codec; install it with grpc.ForceServerCodecV2 or
// grpc.ForceCodecV2.
func New() Codec {
	return Codec{base: encoding.GetCodecV2("proto")}
}

// Marshal implements encoding.CodecV2.
func (c Codec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*Frame); ok {
		return mem.BufferSlice{mem.SliceBuffer(f.B)}, nil
	}
	return c.base.Marshal(v)
}

// Unmarshal implements encoding.CodecV2.
func (c Codec) Unmarshal(data mem.BufferSlice, v any) error {
	if f, ok := v.(*Frame); ok {
		f.B = data.Materialize()
		return nil
	}
	return c.base.Unmarshal(data, v)
}

// Name implements encoding.CodecV2.
func (c Codec) Name() string { return "proto" }
