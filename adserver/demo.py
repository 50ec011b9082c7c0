"""The demo article (from the seed page): what `/demo` shows and the dev command opens."""

DEMO_ARTICLE = {
    "id": "art-37310",
    "url": "https://www.japantimes.co.jp/news/japans-manufacturing-sector-and-the-race-for-physical-ai",
    "title": "Japan’s manufacturing sector and the race for physical AI",
    "topic": "artificial-intelligence",
    "keywords": [
        "physical-ai",
        "robotics",
        "manufacturing",
        "japan",
        "nvidia",
        "foundation-models",
    ],
    "sentiment": "neutral",
    "source": "japantimes.co.jp",
    "language": "en",
    "summary": (
        "Japan is racing to leverage its manufacturing expertise to lead in physical AI, systems that enable "
        "robots to autonomously support human workers. Prime Minister Sanae Takaichi announced plans to use "
        "decades of operational data from manufacturing and service sectors to advance this technology, while "
        "Nvidia CEO Jensen Huang highlighted physical AI as the next innovation wave."
    ),
    "paragraphs": [
        "Japan wants to turn its factory floors into the proving ground for the next frontier of artificial "
        "intelligence. The question is whether it still has time.",
        "At her New Year’s news conference, Prime Minister Sanae Takaichi said Japan would harness decades of "
        "high-quality operational data from its manufacturing and service sectors to advance “physical AI” — "
        "systems that allow robots to autonomously support human workers with unprecedented precision.",
        "The concept is straightforward, even if the technology is not. It refers to systems that understand "
        "the real world’s spatial structure and physical laws and act accordingly. Techniques include imitation "
        "learning, reinforcement learning and vision-language models, along with video-action models that "
        "generate behavior from video.",
        "Because physical AI represents a fusion of software and hardware, some observers argue that Japan — "
        "despite lagging in the global AI race — could leverage its manufacturing strengths to regain "
        "competitiveness. But value creation is increasingly shifting away from hardware and toward AI "
        "foundation models that serve as the “intelligence” of robotic systems.",
    ],
}
