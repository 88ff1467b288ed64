"""imgfan's command line and its embedded cloud (never deployed to Lambda)."""
