module github.com/settled-dev/settled/bench/fanout

go 1.26.0

require (
	github.com/mattn/go-sqlite3 v1.14.53
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)

require github.com/settled-dev/settled/clients/go v0.0.0

// The generated settled.v1 code is the Go client's (clients/go/settledv1).
replace github.com/settled-dev/settled/clients/go => ../../clients/go
