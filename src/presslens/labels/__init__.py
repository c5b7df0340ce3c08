"""Labels: the words an article uses to characterise each actor it mentions."""
