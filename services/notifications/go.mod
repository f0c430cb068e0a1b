module github.com/supercomp/supercomp/services/notifications

go 1.26.8

require github.com/supercomp/supercomp/pkg v0.0.0

require (
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	github.com/emersion/go-smtp v0.25.1 // indirect
)

replace github.com/supercomp/supercomp/pkg => ../../pkg
