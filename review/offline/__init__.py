"""Offline workbooks: a district's self-evaluation downloaded as XLSX, filled in, uploaded.

`workbook` writes and reads the file (and refuses a hostile one); `selfeval` decides what an
upload changes and applies it through the same compare-and-set saves as the page.
"""
