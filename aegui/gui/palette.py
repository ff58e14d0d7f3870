"""The GUI's shared colours, each written once: text ink, the error red, the seed band's alpha. Qt-free."""

INK = "#2b2b2b"          # text and axes: softer than black on white
ERROR_RED = "#B03A2E"    # every refusal, failure and invalid field: one red, so it reads as one meaning
BAND_ALPHA = 60          # the seed band's fill (of 255): light enough that the median line stays in front
