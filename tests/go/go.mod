module reap/tests/go

go 1.19
