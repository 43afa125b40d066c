"""Leadership reporting: render the report from marts, deliver it."""
