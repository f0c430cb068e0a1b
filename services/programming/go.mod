module github.com/supercomp/supercomp/services/programming

go 1.26.8

require github.com/supercomp/supercomp/pkg v0.0.0

replace github.com/supercomp/supercomp/pkg => ../../pkg
