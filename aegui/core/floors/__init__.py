"""How low a loss can go: the data's and the model's floors, their solves, and the words for them."""
