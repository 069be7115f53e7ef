"""Review packets: report rows first, then PDF, Excel and ZIP bytes."""
