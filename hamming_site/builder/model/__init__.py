"""The query model and the codes' space: the binarizer (binarize), the student cut from a transformer (student,
vocab), trained (distill, adapt) or shared once per teacher (querymodel), quantised (quant) and exported (export)."""
