module github.com/protect-lambda/protect-lambda/proxy

go 1.22
