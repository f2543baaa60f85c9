"""Safety controls: blocks, message requests, who may start a conversation with a user, mute.

Shared by the conversations feature (which admits or refuses a post from the state its own reads bring) and the
safety routes: the state is kept on the items the hot paths already read (the pair item D reads, the group item
C reads), so a message costs no extra read for it.
"""
