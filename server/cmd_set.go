package server

var setCommands = []*Command{}
