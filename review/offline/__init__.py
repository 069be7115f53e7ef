"""Offline workbooks: a district's self-evaluation, or a reviewer district's peer ratings of a
district it reviews, downloaded as XLSX, filled in, uploaded.

`workbook` writes and reads the file (and refuses a hostile one) by a `Layout` per kind;
`imports` decides what an upload changes and applies it through the same compare-and-set saves
as the page; `selfeval` and `peer` say who may export and import each kind.
"""
