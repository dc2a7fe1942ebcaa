"""Never finishes its import."""

while True:
    pass


def softmax(x, axis=-1):
    return x
