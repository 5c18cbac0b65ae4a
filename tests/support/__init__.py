"""Support code shared by the test folders, one package imported as ``support.<module>`` (pyproject puts tests/ on
sys.path for pytest; bench.py adds it itself)."""
