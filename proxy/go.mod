module github.com/protect-lambda/protect-lambda/proxy

go 1.25

require github.com/dlclark/regexp2/v2 v2.13.0
