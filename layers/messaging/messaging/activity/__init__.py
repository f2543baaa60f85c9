"""Pattern E: a stream batch's messages applied to both members' group items."""
