module github.com/supercomp/supercomp/services/chart

go 1.26.8
