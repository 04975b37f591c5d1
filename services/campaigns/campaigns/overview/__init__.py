"""The employer overview: next best actions and speed to lead across live campaigns."""
