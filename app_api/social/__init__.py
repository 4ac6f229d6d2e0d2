"""Discussions and reviews: course and lesson threads with nested comments, course reviews with instructor
responses, reports of posts and their hiding by moderators (issue 15, point 4)."""
