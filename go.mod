module github.com/mlpgo/mlpgo

go 1.26
