//! Tour lessons, written in assets/tour.md: `## Title`, the body, and a `Hint:` line.

use super::state::Lesson;

const TOUR: &str = include_str!("../../assets/tour.md");

pub fn lessons() -> Vec<Lesson> {
    parse(TOUR)
}

pub fn parse(text: &str) -> Vec<Lesson> {
    let mut lessons = Vec::new();
    for section in text.split("\n## ").map(|s| s.trim_start_matches("## ")) {
        let mut lines = section.lines();
        let Some(title) = lines.next().map(str::trim).filter(|t| !t.is_empty()) else {
            continue;
        };
        let mut body = Vec::new();
        let mut hint = String::new();
        for line in lines {
            match line.strip_prefix("Hint:") {
                Some(h) => hint = h.trim().to_string(),
                None => body.push(line),
            }
        }
        lessons.push(Lesson {
            title: title.to_string(),
            body: body.join("\n").trim().to_string(),
            hint,
        });
    }
    lessons
}

#[cfg(test)]
mod tests {
    #[test]
    fn six_lessons_with_hints() {
        let lessons = super::lessons();
        assert_eq!(lessons.len(), 6);
        assert!(lessons
            .iter()
            .all(|l| !l.hint.is_empty() && !l.body.is_empty()));
    }
}
