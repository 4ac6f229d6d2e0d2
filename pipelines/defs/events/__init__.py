"""Event store maintenance: monthly partitions kept ahead, closed months archived to the lake."""
