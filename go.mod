module infertop

go 1.26.7
