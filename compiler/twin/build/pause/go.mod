module hlfc.dev/twin/pause

go 1.24
