"""The School Quality Improvement Index: specs, results import, computation and summaries.

From a file to a district summary::

    from review.index.catalogue import SpecCatalogue
    from review.index.compute import compute_index
    from review.index.importer import read_results  # or parse_results(bytes, file_name=...)
    from review.index.summary import summarise_district

    spec = SpecCatalogue(settings.index_specs_dir).get_key("core-sqii@2016-17")
    results = compute_index(read_results(path), spec)  # the whole network, every year
    summary = summarise_district(results, "FRESNO")

Nothing is imported here, so `python -m review` commands that never touch the index do not
pay for loading pandas and pyarrow.
"""
