module github.com/supercomp/supercomp/services/platform

go 1.26.8

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/supercomp/supercomp/pkg v0.0.0
	github.com/supercomp/supercomp/services/fatigue v0.0.0
	github.com/supercomp/supercomp/services/ingestion v0.0.0
	github.com/supercomp/supercomp/services/notifications v0.0.0
	github.com/supercomp/supercomp/services/programming v0.0.0
)

replace github.com/supercomp/supercomp/pkg => ../../pkg

replace github.com/supercomp/supercomp/services/ingestion => ../ingestion

replace github.com/supercomp/supercomp/services/fatigue => ../fatigue

replace github.com/supercomp/supercomp/services/programming => ../programming

replace github.com/supercomp/supercomp/services/notifications => ../notifications
