"""frab/c3voc schedule files (schedule.json, schedule.xml) for conference apps, and their import."""
