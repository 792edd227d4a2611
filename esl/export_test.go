package esl

// OwnedChannels lists the channel ids the client routes commands by.
func OwnedChannels(c *Client) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.owners))
	for id := range c.owners {
		ids = append(ids, id)
	}
	return ids
}
