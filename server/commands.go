package server

// allCommands lists the row groups that make up the one command table.
func allCommands(s *Server) [][]*Command {
	return [][]*Command{
		connCommands, txnCommands, keyCommands, stringCommands, bitCommands,
		hashCommands, setCommands, listCommands, zsetCommands, sortCommands, blockingCommands, pubsubCommands, replCommands,
		serverCommands, clientCommands, commandCommands, persistCommands,
	}
}
