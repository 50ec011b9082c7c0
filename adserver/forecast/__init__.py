"""The reach forecast: how many impressions a campaign's targeting would match a day, from the decisions of the
last 28 days (`tally` counts them on the decision path, `store` folds the counts into SQL and reads them back,
`reach` matches a campaign against them with the serving rules)."""
